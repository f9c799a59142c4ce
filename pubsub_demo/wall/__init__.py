"""Many cameras, one wall: a camera's messages (`topics`) and its link (`camera_link`); the wall's
roster, watch (`monitoring`), receive thread (`receiver`) and tiles (`display`, `tiles`).
"""
