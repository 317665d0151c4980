"""`python -m contract`: writes the gateway's contract and its Swagger UI page (after any API change)."""

from contract import files

for path, text in files().items():
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
