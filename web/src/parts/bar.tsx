import type { JSX } from "preact";

/**
 * A member's use of one dimension of their fair share as a bar: what they use, what is left of
 * the share, with the figures in words beside it (a bar alone says nothing to a screen reader).
 */
export function ShareBar(props: { label: string; used: number; share: number; unit: string }): JSX.Element {
  const { label, used, share, unit } = props;
  const ratio = share > 0 ? Math.min(1, used / share) : used > 0 ? 1 : 0;
  const over = used > share;
  const fmt = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1));
  const text = `${fmt(used)} of ${fmt(share)} ${unit} used, ${fmt(Math.max(0, share - used))} free`;
  return (
    <div class="share">
      <div class="share-head">
        <span>{label}</span>
        <span class="muted">{text}</span>
      </div>
      <div
        class={over ? "bar over" : "bar"}
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={share}
        aria-valuenow={used}
        aria-valuetext={text}
      >
        <div class={`fill w${Math.round(ratio * 100)}`} />
      </div>
    </div>
  );
}
