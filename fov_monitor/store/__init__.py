"""The per-camera store: one readable, diffable folder per camera, written atomically.

``store`` (the folders: cameras, permits, references), ``camera`` (a camera's settings),
``records`` (what the permit's and each reference's JSON file say), ``loaded`` (a camera read in one
pass, passed down to every check) and ``reference_cache`` (a reference's features cached beside its
image).
"""
