"""Faces and privacy: the bundled face model, face search and blurring, and what is stored or shown.

``model`` finds, checks and loads the ONNX face model; ``detection`` finds faces and blurs them;
``privacy`` applies the store's privacy settings to every picture fov-monitor writes or shows (faces
blurred, privacy zones filled).
"""
