"""``python -m terraplan`` runs the command line."""

from terraplan.cli.main import run

if __name__ == "__main__":
    run()
