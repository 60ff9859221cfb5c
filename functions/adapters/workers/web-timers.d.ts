// workers-types declares clearTimeout/clearInterval(id: number | null); the web standard, the Node
// types and workerd itself also accept undefined, which the platform-free core passes.
declare function clearTimeout(id?: number | null): void;
declare function clearInterval(id?: number | null): void;
