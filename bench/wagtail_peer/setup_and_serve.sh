#!/usr/bin/env bash
# Set up the Wagtail 8 peer (outside the repo) and serve one story at http://127.0.0.1:PORT/story/
#
#   bash bench/wagtail_peer/setup_and_serve.sh PORT STORY_FILE
#
# WORKERS (default 2) is the number of gunicorn workers. WAGTAIL_VENV (default /tmp/newsroom-wagtail-venv) and WAGTAIL_SITE (default
# /tmp/newsroom-wagtail-site) say where the throwaway virtualenv and site live; STORY_DEK and
# STORY_BYLINE optionally give the dek and byline, which the story format does not carry.
# Re-running reuses both; the site is rebuilt only when the story, dek, byline or the project
# files in site/ changed. The script ends by exec'ing gunicorn in the foreground.
set -euo pipefail

die() { echo "setup_and_serve.sh: $*" >&2; exit 1; }

[[ $# -eq 2 ]] || die "usage: setup_and_serve.sh PORT STORY_FILE"
port=$1
[[ $port =~ ^[0-9]+$ ]] || die "PORT must be a number, not “$port”"
[[ -f $2 ]] || die "no such story file: $2"
story=$(realpath "$2")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
venv=${WAGTAIL_VENV:-/tmp/newsroom-wagtail-venv}
site=${WAGTAIL_SITE:-/tmp/newsroom-wagtail-site}
dek=${STORY_DEK:-}
byline=${STORY_BYLINE:-}

# --- The virtualenv: installed once, reinstalled only if wagtail 8 or gunicorn is missing.
find_python() {
    # pyenv shims exist for versions that are not selected, so run each candidate to be sure.
    local candidate pyenv_pythons
    shopt -s nullglob
    pyenv_pythons=("$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3)
    shopt -u nullglob
    for candidate in python3.13 python3.12 "${pyenv_pythons[@]}"; do
        if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

if ! "$venv/bin/python" -c 'import gunicorn, wagtail, sys; sys.exit(wagtail.VERSION[0] != 8)' 2>/dev/null; then
    python=$(find_python) || die "no Python >= 3.12 found (tried python3.13, python3.12, ~/.pyenv/versions/3.1[2-9]*)"
    echo "Creating $venv with $python ($("$python" --version))"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'wagtail>=8,<9' gunicorn
fi

# --- The site: a copy of site/ with its SQLite database, built only when something changed.
marker=$site/.newsroom-wagtail-peer  # says the folder is ours (safe to delete) and what it holds
stamp=$(
    {
        (cd "$here/site" && find . -type f ! -path '*/__pycache__/*' -print0 | sort -z | xargs -0 sha256sum)
        sha256sum <"$story"
        printf '%s\n' "$dek" "$byline"
    } | sha256sum | cut -d' ' -f1
)

if [[ ! -f $marker || $(cat "$marker") != "$stamp" ]]; then
    if [[ -e $site && ! -f $marker && -n $(ls -A "$site") ]]; then
        die "$site exists and was not made by this script; remove it or set WAGTAIL_SITE"
    fi
    echo "Building the Wagtail site in $site"
    rm -rf "$site"
    mkdir -p "$site"
    echo building >"$marker"  # a run that fails from here on is rebuilt next time
    cp -R "$here/site/." "$site/"
    cd "$site"
    # The stories app's migration is made here rather than kept in the repo: it always
    # matches the installed Wagtail 8.x release.
    "$venv/bin/python" manage.py makemigrations stories --verbosity 0
    "$venv/bin/python" manage.py migrate --verbosity 0
    "$venv/bin/python" manage.py load_story "$story" --dek "$dek" --byline "$byline"
    echo "$stamp" >"$marker"
fi

# --- Serve. WORKERS sync workers (bench/run.py gives every server the same number). No
# --access-logfile: gunicorn then logs no request, so the benchmark does not measure logging.
workers=${WORKERS:-2}
[[ $workers =~ ^[1-9][0-9]*$ ]] || die "WORKERS must be a positive number, not “$workers”"
options=(--bind "127.0.0.1:$port" --workers "$workers")
# gunicorn 27 opens a control socket at one fixed path in $HOME by default, which a second
# gunicorn (Newsroom's, in a side-by-side run) would also want: the peer does not need one.
help=$("$venv/bin/gunicorn" --help)
[[ $help == *--no-control-socket* ]] && options+=(--no-control-socket)
cd "$site"
echo "Serving http://127.0.0.1:$port/story/"
exec "$venv/bin/gunicorn" "${options[@]}" project.wsgi
