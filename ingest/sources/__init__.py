"""External systems we only read, one module per source (the DDS system's folder and its
SQLite databases); what is imported goes through ingest's validation and writers."""
