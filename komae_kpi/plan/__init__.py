"""The plan as data: its typed model, the plan and history files, and the plan's own facts."""
