"""External systems we read from, one module per source (the DDS system's folder and its
SQLite databases). Reading never writes to the source; what is imported goes through the
same validation and writers as the facade's own calls."""
