"""What the command line says: each script's options (`options`), the groups they are made of
(`groups`), and what a value may be (`value_types`).
"""
