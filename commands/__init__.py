"""What the commands of `cli.py` share: option definitions (`options`) and the steps every
command takes around its one call into the library (`steps`: load, check the size, an
executor, progress, write). Nothing here simulates or renders; `cli.py` stays the entry point."""
