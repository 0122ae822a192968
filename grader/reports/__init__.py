"""What people read: terminal reports, the scores CSV, the class and agreement reports, gradebook files."""
