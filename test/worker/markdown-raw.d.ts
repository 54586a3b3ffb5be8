// Markdown imported as text (Vite's `?raw`), for the tests that check what the docs say against the code.
declare module "*.md?raw" {
  const text: string;
  export default text;
}
