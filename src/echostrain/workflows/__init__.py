"""Jobs that chain the stages: the ``analyze`` report, the refinement loop and the demo.

A workflow may import every stage below it (track, strain, evaluate, report,
sim, realism…); the CLI calls one workflow function per command.

* :func:`~echostrain.workflows.analyze.analyze` — clips + ED contours → HTML strain report;
* :func:`~echostrain.workflows.refine.refine` — track real clips, simulate their motion, fine-tune, repeat;
* :mod:`~echostrain.workflows.demo` — the built-in demo of ``make demo``.
"""
