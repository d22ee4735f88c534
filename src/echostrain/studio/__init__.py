"""``echostrain studio``: a local web page to open a clip, draw its ED contour, run the analysis and read the report.

:func:`~echostrain.studio.app.create_app` builds the page's server (FastAPI)
over a :class:`~echostrain.studio.workspace.Workspace`; the readers, the
tracking and the report are the project's own (``read_video``, ``analyze``).
Nothing is imported at package import.
"""
