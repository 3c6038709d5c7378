import type { AppProps } from "../_fresh/server.ts";

/**
 * The document around every page.
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import App from "./_app.tsx";
 *
 * const html = renderToString(
 *   <App Component={() => <p>page</p>} url={new URL("http://x/")} params={{}} data={null} state={null} />,
 * );
 * assertStringIncludes(html, '<link rel="stylesheet" href="/styles.css">');
 * assertStringIncludes(html, "<body><p>page</p></body>");
 * ```
 */
export default function App({ Component }: AppProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="dark" />
        <title>QSTCS · Security Operations</title>
        <link rel="icon" href="/favicon.svg" />
        <link rel="stylesheet" href="/styles.css" />
      </head>
      <body>
        <Component />
      </body>
    </html>
  );
}
