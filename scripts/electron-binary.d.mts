/** Absolute path of the installed Electron executable, or null. */
export function findElectronBinary(): string | null;
