"""The `grader` command line."""
