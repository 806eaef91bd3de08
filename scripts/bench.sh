#!/usr/bin/env bash
set -euo pipefail
echo "make bench: no benchmark exists yet."
