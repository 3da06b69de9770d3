"""Notebook presentation: DataFrames (and, later, HTML reprs and widgets).

pandas and ipywidgets are imported only here, and only when a frame or widget is built.
"""
