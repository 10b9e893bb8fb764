# The Python base for deploy/Dockerfile where no image registry can be reached:
# Debian bookworm's own Python 3.11, on the minimal root filesystem that
# deploy/images/build.sh makes with debootstrap and imports as jaring-os:bookworm.
#   docker build -f deploy/images/base.Dockerfile -t jaring-python:3.11-bookworm deploy/images
ARG OS_BASE=jaring-os:bookworm
FROM ${OS_BASE}
# python-is-python3 gives `python`, as the official image has; python3-venv brings ensurepip and
# pip's wheel, so `python -m venv` makes a venv with pip in it. No compiler: every dependency
# Jaring has ships a manylinux wheel.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv python-is-python3 ca-certificates \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && python -c 'import sys; assert sys.version_info >= (3, 11), sys.version'
ENV LANG=C.UTF-8
CMD ["python3"]
