import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// electron-builder's own schema check, without packaging (which needs the internet).
const require = createRequire(createRequire(import.meta.url).resolve('app-builder-lib/package.json'));
const { validateConfiguration } = require('./out/util/config/config.js') as {
  validateConfiguration(config: unknown, logger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
const yaml = require('js-yaml') as { load(text: string): unknown };
const { PlatformPackager } = require('./out/index.js') as {
  PlatformPackager: { prototype: { generateFuseConfig(fuses: unknown): Promise<Record<string, unknown>> } };
};
const { FuseV1Options } = require('@electron/fuses') as { FuseV1Options: Record<string, number> };

interface Target {
  target: string;
  arch?: string[];
}
interface BuilderConfig {
  linux: { target: string[] };
  win: { target: Target[] };
  mac: { target: Target[] };
  extraResources: { from: string; to: string; filter: string[] }[];
  asarUnpack: string[];
  electronFuses: Record<string, boolean>;
}

const config = yaml.load(readFileSync(new URL('./electron-builder.yml', import.meta.url), 'utf8')) as BuilderConfig;

describe('electron-builder.yml', () => {
  // Loading electron-builder's schema takes a while on a busy machine.
  it('passes electron-builder schema validation', { timeout: 120_000 }, async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('flips the Electron fuses that close the known ways in', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
      enableCookieEncryption: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('hands every one of those fuses to @electron/fuses (none silently dropped)', async () => {
    // The config electron-builder flips in the Electron binary right before signing.
    const flipped = await PlatformPackager.prototype.generateFuseConfig.call({}, config.electronFuses);
    expect(flipped).toEqual({
      version: '1',
      resetAdHocDarwinSignature: undefined,
      [FuseV1Options['RunAsNode']!]: false,
      [FuseV1Options['EnableNodeOptionsEnvironmentVariable']!]: false,
      [FuseV1Options['EnableNodeCliInspectArguments']!]: false,
      [FuseV1Options['OnlyLoadAppFromAsar']!]: true,
      [FuseV1Options['EnableEmbeddedAsarIntegrityValidation']!]: true,
      [FuseV1Options['EnableCookieEncryption']!]: true,
      [FuseV1Options['GrantFileProtocolExtraPrivileges']!]: false,
    });
  });

  it('builds AppImage + deb, NSIS, and an arm64 dmg', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.win.target.map((t) => t.target)).toEqual(['nsis']);
    expect(config.mac.target).toEqual([{ target: 'dmg', arch: ['arm64'] }]);
  });

  it('ships the models, the trainer and its replay sample as resources and unpacks the native modules', () => {
    expect(config.extraResources).toContainEqual({
      from: 'models',
      to: 'models',
      filter: ['*.onnx', '*.json', '*.pt', 'scsonet/*.py', 'replay/**/*'],
    });
    expect(config.asarUnpack).toEqual(expect.arrayContaining(['**/node_modules/onnxruntime-node/**', '**/node_modules/sharp/**']));
  });
});
