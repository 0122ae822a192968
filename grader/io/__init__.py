"""Files in and out: answer tables, whole-or-nothing outputs, spreadsheet-safe CSV, finding rubrics."""
