"""The newsroom's roles as permission groups: Writer, Editor, Chief.

`ensure_roles()` creates or updates the groups; it is idempotent. A migration calls it so
a fresh database has the roles; when a role changes, add a migration that calls it again.
"""

from django.apps import apps as django_apps
from django.contrib.auth.management import create_permissions

STORY_PARTS = ["byline", "section", "takeaway", "credit", "articlecalltoaction"]
EVERY = ["add", "change", "delete", "view"]

WRITER = [
    "articles.add_article",
    "articles.change_article",
    "articles.view_article",
    *(f"articles.{verb}_{part}" for part in STORY_PARTS for verb in EVERY),
    "articles.view_author",
    "articles.view_desk",
    "articles.view_tag",
    "articles.view_calltoaction",
]
EDITOR = [
    *WRITER,
    "articles.publish_article",
    "articles.edit_any_article",
    "articles.view_revision",
    "articles.add_notice",
    "articles.view_notice",
    "articles.add_previewlink",
    "articles.change_previewlink",
    "articles.view_previewlink",
    "articles.add_author",
    "articles.change_author",
    *(f"articles.{verb}_{model}" for model in ["tag", "desk", "calltoaction"] for verb in EVERY),
]
CHIEF = [
    *EDITOR,
    "articles.delete_article",
    "articles.restore_article",
    "articles.delete_author",
    "articles.change_notice",
    # API keys: issued and revoked, never deleted, so that their history stays.
    *(f"articles.{verb}_apikey" for verb in ["add", "change", "view"]),
    # Webhooks, and their delivery log, which only the sending writes.
    *(f"articles.{verb}_webhook" for verb in EVERY),
    "articles.view_webhookdelivery",
    "articles.view_deliveryattempt",
    # Background work (the task queue), to see in the admin what failed and why.
    "django_tasks_database.view_dbtaskresult",
    *(f"auth.{verb}_user" for verb in EVERY),
    "auth.view_group",
]
ROLES = {"Writer": WRITER, "Editor": EDITOR, "Chief": CHIEF}


def ensure_roles(apps=django_apps) -> None:
    """Create the role groups with exactly their permissions."""
    for app_config in apps.get_app_configs():
        # Inside a migration, permissions do not exist yet; create them first.
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    by_name = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    for name, permissions in ROLES.items():
        # An early migration runs before some models exist; a later one that adds a role's
        # model calls this again.
        permissions = [p for p in permissions if model_exists(apps, p)]
        missing = set(permissions) - set(by_name)
        if missing:
            raise LookupError(f"role {name}: no such permissions {sorted(missing)}")
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set([by_name[p] for p in permissions])


def model_exists(apps, permission: str) -> bool:
    """Whether the model a permission ("articles.publish_article") is about exists yet."""
    app_label, codename = permission.split(".")
    models = apps.get_app_config(app_label).get_models()
    return any(codename.endswith(f"_{model._meta.model_name}") for model in models)
