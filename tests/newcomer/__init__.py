"""A newcomer's first hour: the two scripts, the image, the documentation offline and the API conventions."""
