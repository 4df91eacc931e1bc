/** How a model is named on mask versions and in the library filter: `name@version`. */
export function modelKey(model: { name: string; version: string }): string {
  return `${model.name}@${model.version}`;
}
