//! Integration tests of memgraph memory: one submodule per area.
