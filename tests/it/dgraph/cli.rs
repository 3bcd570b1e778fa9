//! The real slash-graphql CLI (npm) against offcloud.
