import type { ComponentChildren, JSX } from "preact";
import type { Issues } from "../problems.js";

export { apiIssues, refusalText, zodIssues, type Issues } from "../problems.js";

/** A labelled field with its hint and, when the form or the service found one, its error. */
export function Field(props: {
  id: string;
  label: string;
  hint?: string;
  error?: string;
  children: (describedBy: string | undefined, invalid: boolean) => ComponentChildren;
}): JSX.Element {
  const hintId = props.hint ? `${props.id}-hint` : undefined;
  const errorId = props.error ? `${props.id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(" ") || undefined;
  return (
    <div class={props.error ? "field invalid" : "field"}>
      <label for={props.id}>{props.label}</label>
      {props.children(describedBy, props.error !== undefined)}
      {props.hint && (
        <p class="hint" id={hintId}>
          {props.hint}
        </p>
      )}
      {props.error && (
        <p class="error" id={errorId}>
          {props.error}
        </p>
      )}
    </div>
  );
}

/** A text input in a `Field`. */
export function TextField(props: {
  id: string;
  label: string;
  value: string;
  onInput: (value: string) => void;
  hint?: string;
  error?: string;
  placeholder?: string;
  type?: "text" | "password";
  inputMode?: "numeric" | "text";
  autoComplete?: string;
  required?: boolean;
}): JSX.Element {
  return (
    <Field id={props.id} label={props.label} hint={props.hint} error={props.error}>
      {(describedBy, invalid) => {
        const common = {
          id: props.id,
          name: props.id,
          value: props.value,
          placeholder: props.placeholder,
          autoComplete: props.autoComplete ?? "off",
          required: props.required,
          "aria-describedby": describedBy,
          "aria-invalid": invalid,
          onInput: (event: Event) => props.onInput((event.target as HTMLInputElement).value),
        };
        return props.type === "password" ? (
          <input type="password" {...common} />
        ) : (
          <input type="text" inputMode={props.inputMode} {...common} />
        );
      }}
    </Field>
  );
}

/** The form's own error (not tied to one field), announced when it appears. */
export function FormError(props: { issues: Issues }): JSX.Element | null {
  const message = props.issues[""];
  if (!message) return null;
  return (
    <div class="alert" role="alert">
      {message}
    </div>
  );
}
