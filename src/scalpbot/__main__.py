"""`python -m scalpbot`: the same as the `scalpbot` command."""

from scalpbot.cli import main

if __name__ == "__main__":
    main()
