import { toBinary, type DescExtension, type DescFile, type DescMessage, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

/** What server reflection looks up: files by name, the file defining a symbol, extensions. */
export interface DescriptorIndex {
  /** Fully qualified names of the services served. */
  readonly serviceNames: readonly string[];
  fileByName(name: string): DescFile | undefined;
  fileBySymbol(symbol: string): DescFile | undefined;
  extension(extendee: string, number: number): DescExtension | undefined;
  /** undefined when no such message type is known. */
  extensionNumbers(extendee: string): number[] | undefined;
  /**
   * Serialized FileDescriptorProtos of `file` and of its transitive dependencies, leaving out
   * those in `sent` (the files already sent on the same reflection stream), which it updates.
   */
  serialize(file: DescFile, sent: Set<string>): Uint8Array[];
}

/** Indexes the files of the given services and everything they import. */
export function createDescriptorIndex(services: readonly DescService[]): DescriptorIndex {
  const files = new Map<string, DescFile>();
  const symbols = new Map<string, DescFile>();
  const messages = new Map<string, DescMessage>();
  const extensions: DescExtension[] = [];
  const bytes = new Map<string, Uint8Array>();

  function addMessage(file: DescFile, message: DescMessage): void {
    symbols.set(message.typeName, file);
    messages.set(message.typeName, message);
    for (const field of message.fields) symbols.set(`${message.typeName}.${field.name}`, file);
    for (const nested of message.nestedMessages) addMessage(file, nested);
    for (const nested of message.nestedEnums) symbols.set(nested.typeName, file);
    extensions.push(...message.nestedExtensions);
    for (const ext of message.nestedExtensions) symbols.set(ext.typeName, file);
  }

  function addFile(file: DescFile): void {
    const name = file.proto.name;
    if (files.has(name)) return;
    files.set(name, file);
    for (const message of file.messages) addMessage(file, message);
    for (const enumeration of file.enums) symbols.set(enumeration.typeName, file);
    for (const ext of file.extensions) symbols.set(ext.typeName, file);
    extensions.push(...file.extensions);
    for (const service of file.services) {
      symbols.set(service.typeName, file);
      for (const method of service.methods) symbols.set(`${service.typeName}.${method.name}`, file);
    }
    for (const dependency of file.dependencies) addFile(dependency);
  }

  for (const service of services) addFile(service.file);

  function serializeOne(file: DescFile): Uint8Array {
    let encoded = bytes.get(file.proto.name);
    if (!encoded) {
      encoded = toBinary(FileDescriptorProtoSchema, file.proto);
      bytes.set(file.proto.name, encoded);
    }
    return encoded;
  }

  return {
    serviceNames: services.map((s) => s.typeName),
    fileByName: (name) => files.get(name),
    fileBySymbol: (symbol) => symbols.get(symbol.replace(/^\./, "")),
    extension: (extendee, number) => extensions.find((e) => e.extendee.typeName === extendee && e.number === number),
    extensionNumbers(extendee) {
      if (!messages.has(extendee)) return undefined;
      return extensions.filter((e) => e.extendee.typeName === extendee).map((e) => e.number);
    },
    serialize(file, sent) {
      const out: Uint8Array[] = [];
      const visit = (f: DescFile) => {
        if (sent.has(f.proto.name)) return;
        sent.add(f.proto.name);
        out.push(serializeOne(f));
        for (const dependency of f.dependencies) visit(dependency);
      };
      visit(file);
      return out;
    },
  };
}
