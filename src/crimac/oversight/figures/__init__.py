"""The figures oversight shows: participation, timeliness and compliance.

Every figure is a handful of aggregate queries (GROUP BY in the database); nothing loops over
alert rows in Python, so the dashboard stays fast with a million alerts.
"""
