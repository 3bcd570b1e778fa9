//! Integration tests of typedb: one submodule per area.
