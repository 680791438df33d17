"""iwmo-gateway: carries iWmo 3.2 berichten between gemeenten and zorgaanbieders."""

__version__ = "0.1.0"
