// Forms built from the contract: an action of `allowed_actions` names its operation (`operation_id`); the
// operation's request body schema gives the fields, their types, what is required and the allowed values.
import { el } from "./app.js";
import { openapi, session } from "./api.js";
import { t } from "./i18n.js";

// A body field whose values are a vocabulary of the tenant (its configuration gives codes and labels).
const VOCABULARIES = { qualification: "qualifications", category: "categories", team: "teams",
                       signal_type: "signal_types", district: "districts", entity: "entities" };

/** The request body schema of an operation (null: the command has no body), its $refs resolved. */
export async function bodySchema(operationId) {
  const contract = await openapi();
  for (const item of Object.values(contract.paths)) {
    for (const operation of Object.values(item)) {
      if (operation && operation.operationId === operationId) {
        const content = operation.requestBody && operation.requestBody.content["application/json"];
        return content ? resolve(contract, content.schema) : null;
      }
    }
  }
  throw new Error(`the contract has no operation ${operationId}`);
}

function resolve(contract, schema) {
  if (schema && schema.$ref) return resolve(contract, contract.components.schemas[schema.$ref.split("/").pop()]);
  return schema;
}

/** The one type of a property ("anyOf" with null: optional, its other type). */
function typeOf(schema) {
  if (schema.anyOf) {
    const other = schema.anyOf.find((s) => s.type !== "null");
    return { ...schema, ...other, nullable: true };
  }
  return schema;
}

/** The fields of a body schema: one labelled control per property, named by the property. */
export function fieldsFor(schema, configuration, idPrefix) {
  const required = new Set(schema.required || []);
  return Object.entries(schema.properties || {}).map(([name, raw]) => {
    const property = typeOf(raw);
    const id = `${idPrefix}-${name}`;
    const words = t(`field.${name}`);
    const label = words === `field.${name}` ? property.title || name : words;
    const hint = property.description ? el("span", { class: "hint", id: `${id}-hint` }, property.description) : null;
    const control = controlFor(name, property, configuration, id, required.has(name));
    if (hint) control.setAttribute("aria-describedby", `${id}-hint`);
    if (property.type === "boolean") {
      return el("div", { class: "field checkbox" }, el("label", { for: id }, control, " ", label), hint);
    }
    return el("div", { class: "field" },
              el("label", { for: id }, label, required.has(name) ? el("span", { "aria-hidden": "true" }, " *") : null),
              hint, control);
  });
}

function controlFor(name, property, configuration, id, required) {
  const common = { id, name, required, "data-type": property.type };
  const vocabulary = VOCABULARIES[name] && configuration[VOCABULARIES[name]];
  const options = property.enum ? property.enum.map((v) => [v, t(`value.${v}`) === `value.${v}` ? v : t(`value.${v}`)])
    : vocabulary ? vocabulary.map((c) => [c.code, c.label]) : null;
  if (options) {
    return el("select", common, required ? null : el("option", { value: "" }, "—"),
              options.map(([value, label]) => el("option", { value, selected: value === property.default }, label)));
  }
  if (property.type === "boolean") {
    return el("input", { ...common, type: "checkbox", required: false, checked: property.default === true });
  }
  if (property.type === "integer" || property.type === "number") {
    return el("input", { ...common, type: "number", min: property.minimum ?? (property.exclusiveMinimum !== undefined
      ? property.exclusiveMinimum + 1 : null), max: property.maximum, value: property.default ?? null });
  }
  if (property.format === "date") return el("input", { ...common, type: "date" });
  const value = property.default ?? (name === "assignee" ? session().sub : null);
  if (!property.maxLength || property.maxLength > 300) {
    const area = el("textarea", { ...common, rows: 4, maxlength: property.maxLength, minlength: property.minLength });
    if (value) area.value = value;
    return area;
  }
  return el("input", { ...common, type: "text", value, maxlength: property.maxLength, minlength: property.minLength });
}

/** The body a form gives: empty optional fields left out, numbers and booleans as such. */
export function bodyOf(form) {
  const body = {};
  for (const control of form.querySelectorAll("[name]")) {
    const type = control.dataset.type;
    if (type === "boolean") body[control.name] = control.checked;
    else if (control.value === "") continue;
    else if (type === "integer" || type === "number") body[control.name] = Number(control.value);
    else body[control.name] = control.value;
  }
  return body;
}
