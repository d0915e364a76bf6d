// hx-* attribute types for JSX.
/// <reference types="@kitajs/html/htmx.d.ts" />
