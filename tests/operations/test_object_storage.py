"""Media in an S3-compatible bucket: uploads, renditions, reader pages, backup and restore.

Against a real S3-protocol server on 127.0.0.1 (moto's, started by the `s3_server` fixture).
"""

import io
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.http import Http404
from django.urls import reverse

from articles.editing import stories
from articles.models import Article, Picture, Section
from newsroom.settings import object_storage
from newsroom.storage import serve_media
from tests.factories import make_article, make_image_upload, picture_form
from tests.operations.test_settings import PROJECT
from tests.s3 import free_port, moto_missing
from tests.worker import run_worker

# Committing, as the worker does in production: the page cache's new generation and other
# on-commit steps run.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(bool(moto_missing()), reason=moto_missing() or "moto is installed"),
]


def bucket_contents(s3_server, bucket) -> dict[str, bytes]:
    """Every object in the bucket and its bytes, read with boto3 as any S3 tool would."""
    client = s3_server.client()
    return {
        item["Key"]: client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for item in page.get("Contents", [])
    }


def empty_bucket(s3_server, bucket) -> None:
    client = s3_server.client()
    for key in bucket_contents(s3_server, bucket):
        client.delete_object(Bucket=bucket, Key=key)


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.addresses = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.addresses.append(attrs["src"])
        if tag in {"img", "source"} and attrs.get("srcset"):
            self.addresses += [entry.split()[0] for entry in attrs["srcset"].split(", ")]


def image_addresses(html: str) -> list[str]:
    """Every picture address a browser could fetch from the page: src and srcset entries."""
    parser = _Images()
    parser.feed(html)
    return parser.addresses


def hero_story(editor):
    article = make_article(
        headline="Harbour at dawn",
        hero_image=make_image_upload(name="harbour.png", size=(900, 600)),
        hero_alt="Fishing boats in the harbour",
    )
    stories.finish_save(article, by=editor, summary="Saved in the admin")
    run_worker()  # the renditions, and the library picture's thumbnail
    article.refresh_from_db()
    return article


def test_library_picture_upload_lands_in_the_bucket_with_its_thumbnail(
    s3_server, s3_bucket, editor_client
):
    response = editor_client.post(reverse("admin:articles_picture_add"), picture_form())
    run_worker()

    assert response.status_code == 302
    picture = Picture.objects.get()
    stored = bucket_contents(s3_server, s3_bucket)
    assert set(stored) == {picture.image.name, picture.thumbnail}
    assert stored[picture.thumbnail][8:12] == b"WEBP"
    assert picture.thumbnail_url == f"/media/{picture.thumbnail}"


def test_story_renditions_land_in_the_bucket_and_the_page_shows_media_url_addresses(
    s3_server, s3_bucket, client, editor
):
    article = hero_story(editor)

    stored = bucket_contents(s3_server, s3_bucket)
    html = client.get(article.get_absolute_url()).content.decode()

    renditions = {name for name in stored if name.startswith(f"renditions/{article.pk}/")}
    assert len(renditions) > 4  # WebP and PNG at each width, and the social crop
    addresses = image_addresses(html)
    assert addresses
    assert {address.removeprefix("/media/") for address in addresses} <= set(stored)
    assert all(address.startswith("/media/") for address in addresses)


def test_story_page_shows_pictures_at_a_cdn_media_url(
    s3_server, s3_bucket, client, editor, settings
):
    settings.MEDIA_URL = "https://cdn.example.com/media/"
    article = hero_story(editor)

    addresses = image_addresses(client.get(article.get_absolute_url()).content.decode())

    assert addresses
    assert all(address.startswith("https://cdn.example.com/media/") for address in addresses)


def test_library_picture_in_a_section_survives_the_sanitiser(s3_bucket, editor):
    picture = Picture(image=make_image_upload(name="boats.png"), alt="Boats")
    picture.save()
    figure = f'<figure><img src="{picture.image.url}" alt="Boats"></figure>'
    article = make_article(sections=0)

    section = Section.objects.create(article=article, position=1, heading="At sea", body=figure)

    section.refresh_from_db()
    assert f'<img src="/media/{picture.image.name}" alt="Boats" loading="lazy">' in section.body
    assert picture.stories().get() == article
    assert Picture.objects.with_story_count().get().story_count == 1


def test_in_development_a_media_address_serves_the_file_from_the_bucket(s3_server, s3_bucket, rf):
    picture = Picture(image=make_image_upload(name="boats.png"), alt="Boats")
    picture.save()

    response = serve_media(rf.get(picture.image.url), picture.image.name)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    stored = bucket_contents(s3_server, s3_bucket)[picture.image.name]
    assert b"".join(response.streaming_content) == stored


def test_in_development_a_media_address_the_bucket_does_not_hold_is_a_404(s3_bucket, rf):
    with pytest.raises(Http404):
        serve_media(rf.get("/media/library/none.png"), "library/none.png")


def test_backup_holds_the_buckets_objects_and_restore_puts_them_back(
    s3_server, s3_bucket, editor, tmp_path
):
    hero_story(editor)
    stored = bucket_contents(s3_server, s3_bucket)
    path = tmp_path / "newsroom.tar.gz"

    call_command("backup", str(path), stdout=io.StringIO())
    with tarfile.open(path, "r:gz") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar if m.name.startswith("media/")}
    empty_bucket(s3_server, s3_bucket)
    call_command("restore", str(path), "--force", stdout=io.StringIO())

    assert members == {f"media/{name}": data for name, data in stored.items()}
    assert bucket_contents(s3_server, s3_bucket) == stored
    assert User.objects.filter(username=editor.username).exists()


def test_backup_of_a_missing_bucket_fails_with_a_one_line_reason(
    s3_server, s3_bucket, editor, tmp_path
):
    hero_story(editor)
    empty_bucket(s3_server, s3_bucket)
    s3_server.client().delete_bucket(Bucket=s3_bucket)
    backups = tmp_path / "backups"
    backups.mkdir()

    with pytest.raises(CommandError) as error:
        call_command("backup", str(backups / "newsroom.tar.gz"), stdout=io.StringIO())

    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"cannot list the media files in the media bucket '{s3_bucket}'")
    assert "NoSuchBucket" in message
    assert not list(backups.iterdir())  # no archive, not even half of one


# Settings, read in a fresh interpreter as a server process would ----------------------------


def media_settings(**environment) -> subprocess.CompletedProcess:
    code = (
        "import json, newsroom.settings as s; "
        "print(json.dumps([s.STORAGES['default'], s.MEDIA_URL, s.SECURE_CSP['img-src']]))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT,
        env={"PATH": "/usr/bin:/bin", **environment},
        capture_output=True,
        text=True,
    )


def test_media_storage_url_puts_media_in_that_bucket():
    result = media_settings(
        MEDIA_STORAGE_URL="s3://newsroom-media?endpoint_url=http://127.0.0.1:9000&region=eu-west-1"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        '[{"BACKEND": "newsroom.storage.MediaStorage", "OPTIONS": {"bucket_name": '
        '"newsroom-media", "endpoint_url": "http://127.0.0.1:9000", "region_name": "eu-west-1", '
        '"file_overwrite": false, "querystring_auth": false}}, "media/", '
    )


def test_aws_storage_bucket_name_puts_media_in_that_bucket():
    result = media_settings(
        AWS_STORAGE_BUCKET_NAME="newsroom-media", AWS_S3_REGION_NAME="eu-west-1"
    )
    assert result.returncode == 0, result.stderr
    assert '"bucket_name": "newsroom-media", "endpoint_url": null, "region_name": "eu-west-1"' in (
        result.stdout
    )


def test_without_a_bucket_media_stay_in_media_root():
    result = media_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        '[{"BACKEND": "django.core.files.storage.FileSystemStorage"}, "media/", '
    )


def test_a_media_storage_url_with_keys_in_it_is_refused_without_repeating_them():
    result = media_settings(MEDIA_STORAGE_URL="s3://AKIA123:s3cr3t@newsroom-media")
    assert result.returncode != 0
    assert "MEDIA_STORAGE_URL must look like s3://BUCKET" in result.stderr
    assert "s3cr3t" not in result.stderr


def test_a_cdn_media_url_is_allowed_by_the_content_security_policy():
    result = media_settings(MEDIA_URL="https://cdn.example.com/media/")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(
        '"https://cdn.example.com/media/", ["\'self\'", "data:", "https://cdn.example.com"]]'
    )


def test_restore_into_a_missing_bucket_fails_with_a_one_line_reason_and_changes_nothing(
    s3_server, s3_bucket, editor, tmp_path
):
    article = hero_story(editor)
    path = tmp_path / "newsroom.tar.gz"
    call_command("backup", str(path), stdout=io.StringIO())
    article.delete()
    empty_bucket(s3_server, s3_bucket)
    s3_server.client().delete_bucket(Bucket=s3_bucket)

    with pytest.raises(CommandError) as error:
        call_command("restore", str(path), "--force", stdout=io.StringIO())

    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"cannot read the media files in the media bucket '{s3_bucket}'")
    assert not Article.objects.exists()


def test_backup_with_keys_the_bucket_refuses_fails_with_a_one_line_reason(
    s3_server, s3_bucket, editor, tmp_path
):
    hero_story(editor)

    with s3_server.refusing_keys(), pytest.raises(CommandError) as error:
        call_command("backup", str(tmp_path / "newsroom.tar.gz"), stdout=io.StringIO())

    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"cannot list the media files in the media bucket '{s3_bucket}'")
    assert "InvalidAccessKeyId" in message


def test_a_picture_uploaded_while_the_bucket_refuses_the_keys_gets_the_503_page(
    s3_server, s3_bucket, editor_client, caplog
):
    with s3_server.refusing_keys():
        response = editor_client.post(reverse("admin:articles_picture_add"), picture_form())

    assert response.status_code == 503
    assert "save again in a minute" in response.content.decode()
    assert not Picture.objects.exists()  # the save was rolled back
    assert "Media storage unavailable for POST /admin/articles/picture/add/" in caplog.text


def test_a_picture_uploaded_to_a_missing_bucket_gets_the_503_page(
    s3_server, s3_bucket, editor_client
):
    s3_server.client().delete_bucket(Bucket=s3_bucket)

    response = editor_client.post(reverse("admin:articles_picture_add"), picture_form())

    assert response.status_code == 503
    assert not Picture.objects.exists()


def test_a_picture_uploaded_to_a_bucket_that_hangs_gets_the_503_page_before_gunicorn_gives_up(
    settings, editor_client
):
    # A server that takes the connection and never answers, as a hung S3 endpoint does.
    silent = socket.create_server(("127.0.0.1", 0))
    port = silent.getsockname()[1]
    options = object_storage(f"s3://newsroom?endpoint_url=http://127.0.0.1:{port}")
    options |= {"access_key": "key", "secret_key": "secret"}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "newsroom.storage.MediaStorage", "OPTIONS": options},
    }

    started = time.monotonic()
    with silent:
        response = editor_client.post(reverse("admin:articles_picture_add"), picture_form())
    waited = time.monotonic() - started

    assert response.status_code == 503
    assert not Picture.objects.exists()
    # Past gunicorn's 30 s the worker is killed, and the editor gets nginx's 502 instead.
    assert waited < 30


def test_backup_from_an_object_store_that_does_not_answer_fails_with_a_one_line_reason(
    settings, editor, tmp_path
):
    options = object_storage(f"s3://newsroom?endpoint_url=http://127.0.0.1:{free_port()}")
    options |= {"access_key": "key", "secret_key": "secret"}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "newsroom.storage.MediaStorage", "OPTIONS": options},
    }

    with pytest.raises(CommandError) as error:
        call_command("backup", str(tmp_path / "newsroom.tar.gz"), stdout=io.StringIO())

    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("cannot list the media files in the media bucket 'newsroom'")
    assert "Could not connect to the endpoint URL" in message


NGINX_CONF = """
daemon off; pid {folder}/nginx.pid; error_log {folder}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {folder}; proxy_temp_path {folder}; fastcgi_temp_path {folder};
    uwsgi_temp_path {folder}; scgi_temp_path {folder};
    server {{
        listen 127.0.0.1:{port};
        location /media/ {{
            limit_except GET {{ deny all; }}
            proxy_pass {endpoint}/{bucket}/;
        }}
    }}
}}
"""


@pytest.mark.skipif(not shutil.which("nginx"), reason="no nginx on this machine")
def test_nginx_serves_the_pages_picture_addresses_from_the_bucket(
    s3_server, s3_bucket, client, editor, tmp_path
):
    article = hero_story(editor)
    addresses = image_addresses(client.get(article.get_absolute_url()).content.decode())
    port = free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(folder=tmp_path, port=port, endpoint=s3_server.endpoint, bucket=s3_bucket)
    )
    nginx = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(tmp_path)])
    try:
        wait_for_port(port)
        fetched = {
            address: urllib.request.urlopen(f"http://127.0.0.1:{port}{address}").read()
            for address in addresses
        }
    finally:
        nginx.terminate()
        nginx.wait()

    stored = bucket_contents(s3_server, s3_bucket)
    assert fetched == {address: stored[address.removeprefix("/media/")] for address in addresses}


def wait_for_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
