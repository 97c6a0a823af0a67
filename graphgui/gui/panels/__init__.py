"""Dock panels: the inspector now; the stepper and plots add theirs with MainWindow.add_panel."""
