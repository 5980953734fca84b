"""What the pages and outputs show: figures, HTML blocks, status looks and the page view models."""
