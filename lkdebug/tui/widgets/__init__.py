"""Widgets shared by the panes: findings list, target header, help screen."""
