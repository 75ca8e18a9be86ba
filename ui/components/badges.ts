// A run status or step state as a colored badge (CSS class `state-<state>`).
import { html, type Html } from "../html.ts";

export const stateBadge = (state: string): Html => html`<span class="badge state-${state}">${state}</span>`;
