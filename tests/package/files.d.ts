// esbuild's file loader: importing a file gives the URL of its copy beside the bundle.
declare module "*.wasm" {
  const url: string;
  export default url;
}
declare module "*.packed" {
  const url: string;
  export default url;
}
declare module "*.bin" {
  const url: string;
  export default url;
}
