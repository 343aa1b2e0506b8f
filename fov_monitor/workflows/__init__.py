"""The use cases, built from the core and its edges: check a camera, capture a reference, write the
evidence, enrol the demo cameras."""
