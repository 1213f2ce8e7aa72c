//! Sans-I/O core.
