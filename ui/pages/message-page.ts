// A page that only says something: not found, bad request, or an error the server hit.
import { html, type Html } from "../html.ts";
import { page } from "./layout.ts";
import type { PageContext } from "./page-context.ts";

export function messagePage(ctx: PageContext, title: string, message: string): Html {
  return page(ctx, { title: `${title} · mmada`, body: html`<h1>${title}</h1><p id="message">${message}</p><p><a href="/">all runs</a></p>` });
}
