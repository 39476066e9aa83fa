"""Built-in catalyst sets, one module per source study."""
