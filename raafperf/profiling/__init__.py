"""Profiling: pyinstrument (CPU) and memray (memory) passes, GC monitoring and tuning, and the
per-stage breakdown of a request's time.

Modules import nothing heavy at the top; the entry points are:

- ``gc_run.GcRun(mode)``: per variant and process, GC tuning plus monitoring (the engine);
- ``stages.summarize_stages(requests_df, calls_df)``: summary.json["variants"][v]["stages_ms"];
- ``session.run_profile(loaded, ProfileOptions)``: the passes of ``raafperf profile``;
- ``cpu.CpuProfiler`` / ``memory.MemoryProfiler``: instruments for ``BenchOptions.instrument``;
- ``artifacts.add_to_summary(run_dir, files, extra)``: list artifacts in a saved summary.json.
"""
