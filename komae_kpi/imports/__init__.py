"""Reading staff files (CSV/XLSX) into actuals and item statuses: cells, tables, preview and apply."""
