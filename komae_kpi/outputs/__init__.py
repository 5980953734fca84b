"""Files the product writes: open data, workbooks, the progress report (HTML/PDF), the meeting deck, chart images."""
