"""Indicator models arrive with the indicators issue; the app keeps its place."""
