//! preview_apps
