"""A publisher that binds: who attends (`attendance`), what its connections may send (`connection_limits`),
the watch that acts on both (`monitoring`), the bytes that went out (`outflow`).
"""
