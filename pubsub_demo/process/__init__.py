"""A script's life (start, run, stop), the error log, the terminal, and a steady clock."""
